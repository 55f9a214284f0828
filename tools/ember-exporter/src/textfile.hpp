// ember-exporter: atomic snapshot files for node_exporter's textfile
// collector.
#pragma once

#include <string>
#include <string_view>

namespace ember_exporter {

// Writes |content| to |path| atomically: a temporary file in the same
// directory (a name the textfile collector ignores: it reads *.prom only),
// written, flushed to disk and made mode 0644, then renamed over |path|.
// A reader sees the old file or the new one, never a part. On failure the
// temporary file is removed, |path| is untouched and the return value is
// the reason ("" on success).
[[nodiscard]] std::string write_atomic(const std::string &path, std::string_view content);

}  // namespace ember_exporter
