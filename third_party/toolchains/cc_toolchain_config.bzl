"""C++ toolchains for cross builds with Debian's GCC cross compilers (see BUILD)."""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _flags_feature(name, actions, flags, enabled = False):
    return feature(
        name = name,
        enabled = enabled,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])] if flags else [],
    )

def _impl(ctx):
    prefix = ctx.attr.tool_prefix
    tools = ["ar", "cpp", "gcc", "gcov", "ld", "nm", "objcopy", "objdump", "strip"]
    tool_paths = [tool_path(name = t, path = prefix + t) for t in tools]

    features = [
        # Flags every compile and every link gets: the CPU, and what the target needs.
        _flags_feature("default_compile_flags", _COMPILE_ACTIONS, ctx.attr.compile_flags, enabled = True),
        _flags_feature("default_cxx_flags", [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing], ctx.attr.cxx_flags, enabled = True),
        _flags_feature("default_link_flags", _LINK_ACTIONS, ctx.attr.link_flags, enabled = True),
        # Enabled by --compilation_mode.
        _flags_feature("opt", _COMPILE_ACTIONS, ctx.attr.opt_flags),
        _flags_feature("dbg", _COMPILE_ACTIONS, ["-g", "-O0"]),
        _flags_feature("fastbuild", _COMPILE_ACTIONS, []),
        feature(name = "supports_pic", enabled = ctx.attr.supports_pic),
    ]

    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = ctx.attr.toolchain_identifier,
        host_system_name = "x86_64-linux-gnu",
        target_system_name = ctx.attr.target_system_name,
        target_cpu = ctx.attr.cpu,
        target_libc = ctx.attr.target_libc,
        compiler = "gcc",
        abi_version = "gcc",
        abi_libc_version = ctx.attr.target_libc,
        tool_paths = tool_paths,
        features = features,
        cxx_builtin_include_directories = ctx.attr.builtin_include_directories,
    )

gcc_cross_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "toolchain_identifier": attr.string(mandatory = True),
        "cpu": attr.string(mandatory = True),
        "target_system_name": attr.string(mandatory = True),
        "target_libc": attr.string(mandatory = True),
        # e.g. "/usr/bin/aarch64-linux-gnu-": every tool is this prefix + its name.
        "tool_prefix": attr.string(mandatory = True),
        "builtin_include_directories": attr.string_list(mandatory = True),
        "compile_flags": attr.string_list(),
        "cxx_flags": attr.string_list(),
        "link_flags": attr.string_list(),
        "opt_flags": attr.string_list(),
        "supports_pic": attr.bool(default = True),
    },
    provides = [CcToolchainConfigInfo],
)
