// libember.so exports exactly the functions declared EMBER_API in
// ember.h, all under the LIBEMBER_0 symbol version, with SONAME
// libember.so.0 (checked with binutils on the built library).
#include <catch2/catch_test_macros.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

struct PipeCloser {
  void operator()(FILE *f) const { ::pclose(f); }
};

std::string Run(const std::string &command) {
  const std::unique_ptr<FILE, PipeCloser> pipe(::popen(command.c_str(), "r"));
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe.get())) > 0) {
    out.append(buf, n);
  }
  return out;
}

std::set<std::string> Declared() {
  std::ifstream in(EMBER_TEST_HEADER);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> names;
  const std::regex decl(R"(EMBER_API[^;(]*?\b(ember_[a-z0-9_]+)\s*\()");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator();
       ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

}  // namespace

TEST_CASE("libember.so exports exactly the C ABI of ember.h", "[exports]") {
  const auto declared = Declared();
  REQUIRE(declared.size() > 20);

  const std::string nm = Run("nm -D --defined-only '" EMBER_TEST_LIBRARY "'");
  std::set<std::string> exported;
  std::istringstream lines(nm);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string addr;
    std::string type;
    std::string name;
    fields >> addr >> type >> name;
    if (type == "A") {  // the version node itself
      CHECK(name == "LIBEMBER_0");
      continue;
    }
    INFO(line);
    CHECK(type == "T");
    const auto at = name.find("@@LIBEMBER_0");
    CHECK(at != std::string::npos);
    exported.insert(name.substr(0, at));
  }
  CHECK(exported == declared);
}

TEST_CASE("libember.so has SONAME libember.so.0", "[exports]") {
  const std::string dyn = Run("readelf -d '" EMBER_TEST_LIBRARY "'");
  CHECK(dyn.find("Library soname: [libember.so.0]") != std::string::npos);
}
