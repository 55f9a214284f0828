// Prints the rendering of the fabricated snapshot, for `promtool check
// metrics` (ctest unit.ember_exporter.promtool).
#include <iostream>

#include "exporter_fixture.hpp"

int main() {
  std::cout << ember_exporter::render(exporter_test::fixture());
  return std::cout ? 0 : 1;
}
