"""Offline stand-in for `@rules_java//java:defs.bzl`, forwarding to native rules.

Bazel 4.2 registers the toolchains in `@bazel_tools//tools/jdk`, whose BUILD
loads `@rules_java//java:defs.bzl`; toolchain resolution for every target
(`py_binary` included) parses it, and upstream fetches it from GitHub.
Debian's `bazel-bootstrap` has no copy, so the WORKSPACE points `rules_java`
here. cm_zoo itself has no Java.
"""

def java_binary(**attrs):
    native.java_binary(**attrs)

def java_import(**attrs):
    native.java_import(**attrs)

def java_library(**attrs):
    native.java_library(**attrs)

def java_proto_library(**attrs):
    native.java_proto_library(**attrs)

def java_runtime(**attrs):
    native.java_runtime(**attrs)

def java_toolchain(**attrs):
    native.java_toolchain(**attrs)
