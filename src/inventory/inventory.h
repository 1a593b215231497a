// What is installed in an image: its operating system and its OS and language packages,
// found from the files an image::Selector keeps. No network, no I/O beyond the snapshot.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "image/layers.h"

namespace berth::inventory {

struct OperatingSystem {
  std::string family;    // os-release ID: "debian", "ubuntu", "alpine", "almalinux", "rhel", ...
  std::string version;   // VERSION_ID ("12", "3.18.4", "9.3"), or from debian_version / alpine-release
  std::string codename;  // VERSION_CODENAME when present ("bookworm")
  std::string pretty_name;
  bool found() const { return !family.empty(); }
};

enum class PackageType { dpkg, apk, rpm, npm, python, gomod, gobinary, maven, cargo, gem };

struct Package {
  PackageType type = PackageType::dpkg;
  std::string name;     // binary package name (OS); for maven "group:artifact"
  std::string version;  // as the ecosystem writes it; dpkg with its epoch, rpm as version-release
  std::string epoch;    // rpm only, "" when none
  std::string arch;
  std::string source_name;     // OS packages: the source package (dpkg Source:, apk origin, rpm srpm name)
  std::string source_version;  // and its version (dpkg "Source: x (v)", else the binary version)
  std::string licenses;        // as declared, "" when unknown
  std::string path;            // the file it was found in, e.g. "var/lib/dpkg/status"
  std::string
      purl;  // package URL (purl-spec), e.g. "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12"
};

struct Inventory {
  OperatingSystem os;
  std::vector<Package> packages;      // sorted by (type, name, version, path)
  std::vector<std::string> warnings;  // parts that could not be read (a corrupt database, ...)
};

// The selector that keeps exactly the files the analyzers below need (reading large binaries
// as a stream and keeping only a summary).
image::Selector selector();

// Reads the kept files into an inventory. A corrupt package database fails with
// Errc::corrupt naming the file; an unreadable language manifest only adds a warning. Every
// text is valid UTF-8 (bytes that are not are replaced by U+FFFD), as the JSON it ends in needs.
base::Result<Inventory> analyze(const image::Snapshot& snapshot);

std::string_view type_name(PackageType type);  // "dpkg", "apk", "rpm", "npm", "python", ...

}  // namespace berth::inventory
