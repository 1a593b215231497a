// Internal to the inventory module: one parser per kind of file, each pure (bytes in,
// packages out). inventory.cpp routes the snapshot's files to them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/layers.h"
#include "inventory/inventory.h"

namespace berth::inventory::detail {

// --- operating system (os.cpp) ---
// os-release format (KEY=value, quoted or not).
OperatingSystem parse_os_release(std::string_view text);
// Picks the OS from etc/os-release, usr/lib/os-release, etc/alpine-release, etc/debian_version.
OperatingSystem detect_os(const image::Snapshot& snapshot);

// --- OS package databases (dpkg.cpp, apk.cpp, rpm.cpp) ---
// var/lib/dpkg/status and each file of var/lib/dpkg/status.d/ (only installed packages).
base::Result<std::vector<Package>> parse_dpkg_status(std::string_view text, std::string_view path);
// lib/apk/db/installed.
base::Result<std::vector<Package>> parse_apk_installed(std::string_view text, std::string_view path);
// var/lib/rpm/rpmdb.sqlite (the bytes of the SQLite file).
base::Result<std::vector<Package>> parse_rpmdb_sqlite(std::string_view bytes, std::string_view path);
// var/lib/rpm/Packages, the Berkeley DB hash database of rpm before 4.16 (its bytes).
base::Result<std::vector<Package>> parse_rpmdb_bdb(std::string_view bytes, std::string_view path);
// One RPM header blob as an rpm database stores it; nullopt for a gpg-pubkey entry.
base::Result<std::optional<Package>> parse_rpm_header(std::string_view blob);

// --- language packages (lang_*.cpp) ---
// A package-lock.json (lockfile v1, v2 or v3) or one node_modules/<name>/package.json.
base::Result<std::vector<Package>> parse_package_lock(std::string_view text, std::string_view path);
base::Result<std::vector<Package>> parse_package_json(std::string_view text, std::string_view path);
// *.dist-info/METADATA, *.egg-info/PKG-INFO (or an .egg-info file).
base::Result<std::vector<Package>> parse_python_metadata(std::string_view text, std::string_view path);
// Cargo.lock.
base::Result<std::vector<Package>> parse_cargo_lock(std::string_view text, std::string_view path);
// specifications/*.gemspec.
base::Result<std::vector<Package>> parse_gemspec(std::string_view text, std::string_view path);
// Go: a streaming summary of a binary (keep step) and its parse (analyze step).
base::Result<std::optional<std::string>> summarize_go_binary(image::Content& content);
base::Result<std::vector<Package>> parse_go_summary(std::string_view summary, std::string_view path);
// Java: a streaming summary of a .jar/.war/.ear (nested jars included) and its parse.
base::Result<std::optional<std::string>> summarize_java_archive(image::Content& content,
                                                                std::string_view path);
base::Result<std::vector<Package>> parse_java_summary(std::string_view summary, std::string_view path);

// Package URL (purl-spec) for a package found on the given OS.
std::string make_purl(const Package& package, const OperatingSystem& os);

}  // namespace berth::inventory::detail
