// A small encoder of the kallsyms tables in the layout scripts/kallsyms.c
// (6.1) emits, so the decoder is tested without a kernel, with the layout
// variants a kernel build may produce: with or without
// kallsyms_seqs_of_names, with or without absolute per-cpu symbols.
// Compression is a toy (fixed two-letter tokens), but the byte format is
// the kernel's: ULEB128 lengths, markers every 256 names, 8-byte alignment.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lp::patchbuild::symbols::testing {

struct EncodedSymbol {
  char type;
  std::string name;
  std::uint64_t address;
};

struct KallsymsOptions {
  bool with_seqs = true;
  bool absolute_percpu = true;
  std::uint64_t relative_base = 0xffffffff81000000ull;
};

class KallsymsEncoder {
 public:
  KallsymsEncoder() {
    // Printable bytes stand for themselves; the others for letter pairs,
    // which exercises multi-character tokens.
    const char* pairs[] = {"_s", "ta", "rt", "fn", "_x", "he", "in", "sh"};
    for (unsigned i = 0; i < 256; ++i) {
      tokens_[i] = (i >= 0x21 && i < 0x7f) ? std::string(1, static_cast<char>(i)) : pairs[i % 8];
    }
  }

  // The tables as one .rodata blob; `at` is where it starts in the image
  // (8-aligned), so labels land 8-aligned.
  std::vector<std::uint8_t> Encode(const std::vector<EncodedSymbol>& symbols,
                                   const KallsymsOptions& options) const {
    std::vector<std::uint8_t> out;
    for (const EncodedSymbol& s : symbols) Put32(&out, static_cast<std::uint32_t>(Stored(s, options)));
    Align(&out);
    Put64(&out, options.relative_base);
    Put32(&out, static_cast<std::uint32_t>(symbols.size()));
    Align(&out);
    std::vector<std::uint32_t> markers;
    std::size_t names = out.size();
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (i % 256 == 0) markers.push_back(static_cast<std::uint32_t>(out.size() - names));
      PutName(&out, std::string(1, symbols[i].type) + symbols[i].name);
    }
    Align(&out);
    for (std::uint32_t m : markers) Put32(&out, m);
    Align(&out);
    if (options.with_seqs) {
      for (std::size_t i = 0; i < symbols.size(); ++i) out.insert(out.end(), {0, 0, 0});
      Align(&out);
    }
    std::vector<std::uint16_t> index;
    std::size_t table = out.size();
    for (const std::string& token : tokens_) {
      index.push_back(static_cast<std::uint16_t>(out.size() - table));
      out.insert(out.end(), token.begin(), token.end());
      out.push_back(0);
    }
    Align(&out);
    for (std::uint16_t i : index) out.insert(out.end(), {std::uint8_t(i & 0xff), std::uint8_t(i >> 8)});
    return out;
  }

 private:
  static std::int64_t Stored(const EncodedSymbol& s, const KallsymsOptions& o) {
    if (!o.absolute_percpu) return static_cast<std::int64_t>(s.address - o.relative_base);
    if (s.type == 'A') return static_cast<std::int64_t>(s.address);
    return static_cast<std::int64_t>(o.relative_base - s.address - 1);
  }
  static void Align(std::vector<std::uint8_t>* out) {
    while (out->size() % 8) out->push_back(0);
  }
  static void Put32(std::vector<std::uint8_t>* out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  static void Put64(std::vector<std::uint8_t>* out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void PutName(std::vector<std::uint8_t>* out, const std::string& text) const {
    std::vector<std::uint8_t> ids;
    for (std::size_t at = 0; at < text.size();) {
      std::size_t id = 0x21 + 256;  // fall back to the character itself
      for (unsigned i = 0; i < 256 && at + 1 < text.size(); ++i) {
        if (tokens_[i].size() == 2 && text.compare(at, 2, tokens_[i]) == 0) id = i;
      }
      if (id < 256) {
        ids.push_back(static_cast<std::uint8_t>(id));
        at += 2;
      } else {
        ids.push_back(static_cast<std::uint8_t>(text[at]));
        at += 1;
      }
    }
    if (ids.size() <= 0x7f) {
      out->push_back(static_cast<std::uint8_t>(ids.size()));
    } else {
      out->push_back(static_cast<std::uint8_t>((ids.size() & 0x7f) | 0x80));
      out->push_back(static_cast<std::uint8_t>(ids.size() >> 7));
    }
    out->insert(out->end(), ids.begin(), ids.end());
  }

  std::string tokens_[256];
};

}  // namespace lp::patchbuild::symbols::testing
