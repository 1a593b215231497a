# -*- encoding: utf-8 -*-
# stub: rack 2.2.8 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.8"
  s.licenses = ["MIT".freeze]
  s.authors = ["Leah Neukirchen".freeze]
end
