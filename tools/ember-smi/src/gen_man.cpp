// Build helper: copies the man page source (scdoc) to stdout with its
// "%%FIELDS%%" line replaced by the --query field list of fields.cpp, so
// that the man page, --help-query and the code share one table.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <string>

#include "smi.hpp"

int main(int argc, char **argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: ember-smi-gen-man SOURCE.scd\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    fmt::print(stderr, "ember-smi-gen-man: cannot read {}\n", argv[1]);
    return 1;
  }
  std::string line;
  bool replaced = false;
  while (std::getline(in, line)) {
    if (line == "%%FIELDS%%") {
      std::cout << ember_smi::FormatFieldsScd();
      replaced = true;
    } else {
      std::cout << line << '\n';
    }
  }
  if (!replaced) {
    fmt::print(stderr, "ember-smi-gen-man: no %%FIELDS%% line in {}\n", argv[1]);
    return 1;
  }
  return 0;
}
