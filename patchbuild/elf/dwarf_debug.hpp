// RAII for libdwarf (Debian 12 ships libdwarf 20210528: dwarf_finish takes
// an error pointer, dwarf_init_path has the long 2020 signature).
//
// DwarfDebug owns one Dwarf_Debug; Dies and strings that libdwarf hands out
// for it are valid only until it is finished, i.e. while the DwarfDebug is
// alive. DwarfDie owns one Dwarf_Die. Neither is thread-safe.
#pragma once

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>

#include <filesystem>
#include <optional>
#include <utility>

namespace lp::patchbuild::elf {

class DwarfDebug {
 public:
  // nullopt when the file has no DWARF or libdwarf cannot read it.
  static std::optional<DwarfDebug> Open(const std::filesystem::path& path) {
    Dwarf_Debug dbg = nullptr;
    Dwarf_Error err = nullptr;
    const int rc = dwarf_init_path(path.c_str(), nullptr, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, nullptr, nullptr,
                                   &dbg, nullptr, 0, nullptr, &err);
    if (rc != DW_DLV_OK) {
      if (err) dwarf_dealloc(dbg, err, DW_DLA_ERROR);
      if (dbg) dwarf_finish(dbg, nullptr);
      return std::nullopt;
    }
    return DwarfDebug(dbg);
  }

  DwarfDebug(DwarfDebug&& o) noexcept : dbg_(std::exchange(o.dbg_, nullptr)) {}
  DwarfDebug& operator=(DwarfDebug&&) = delete;
  DwarfDebug(const DwarfDebug&) = delete;
  ~DwarfDebug() {
    if (dbg_) {
      Dwarf_Error err = nullptr;
      if (dwarf_finish(dbg_, &err) != DW_DLV_OK && err) dwarf_dealloc(nullptr, err, DW_DLA_ERROR);
    }
  }

  Dwarf_Debug get() const { return dbg_; }

 private:
  explicit DwarfDebug(Dwarf_Debug dbg) : dbg_(dbg) {}
  Dwarf_Debug dbg_ = nullptr;
};

class DwarfDie {
 public:
  DwarfDie() = default;
  explicit DwarfDie(Dwarf_Die die) : die_(die) {}
  DwarfDie(DwarfDie&& o) noexcept : die_(std::exchange(o.die_, nullptr)) {}
  DwarfDie& operator=(DwarfDie&& o) noexcept {
    if (this != &o) {
      Reset();
      die_ = std::exchange(o.die_, nullptr);
    }
    return *this;
  }
  DwarfDie(const DwarfDie&) = delete;
  ~DwarfDie() { Reset(); }

  Dwarf_Die get() const { return die_; }
  explicit operator bool() const { return die_ != nullptr; }

 private:
  void Reset() {
    if (die_) dwarf_dealloc_die(die_);
    die_ = nullptr;
  }
  Dwarf_Die die_ = nullptr;
};

}  // namespace lp::patchbuild::elf
