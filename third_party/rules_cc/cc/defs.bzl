"""Offline stand-in for `@rules_cc//cc:defs.bzl`, forwarding to native rules.

Bazel 4.2's built-in `@bazel_tools//tools/cpp` (and with it the C++ toolchain
that `py_binary`/`py_test` resolve) loads `@rules_cc//cc:defs.bzl`, which
upstream fetches from GitHub. Debian's `bazel-bootstrap` has no copy, so the
WORKSPACE points `rules_cc` here. At that Bazel version upstream's macros are
also thin wrappers over these native rules. cm_zoo itself has no C++.
"""

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
