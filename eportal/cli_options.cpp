#include "eportal/cli_options.hpp"

#include <fstream>
#include <iostream>

namespace lp::eportal::cli {

std::optional<po::variables_map> Parse(const std::vector<std::string>& args, po::options_description desc) {
  desc.add_options()("help,h", "show usage")("config", po::value<std::string>(), "config file");
  po::options_description all;
  all.add(desc).add_options()("words", po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add("words", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    if (vm.count("config")) {
      std::ifstream in(vm["config"].as<std::string>());
      if (!in) throw std::runtime_error("cannot read config file " + vm["config"].as<std::string>());
      po::store(po::parse_config_file(in, all, /*allow_unregistered=*/true), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {  // program_options reports bad usage by throwing
    std::cerr << "eportal: " << e.what() << "\n";
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return std::nullopt;
  }
  return vm;
}

}  // namespace lp::eportal::cli
