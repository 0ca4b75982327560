"""Exposes the corpus (test and benchmark data) when present: $RWKVTOK_CORPUS_DIR when set (tools/test.sh
sets it), else ../shared/corpus beside the checkout.

The tests must also run without it, so a missing folder yields empty filegroups instead of an error.
"""

def _corpus_repository_impl(ctx):
    root = ctx.os.environ.get("RWKVTOK_CORPUS_DIR", "")
    if root:
        corpus = ctx.path(root)
    else:
        workspace_root = ctx.path(Label("//:WORKSPACE")).dirname
        corpus = workspace_root.dirname.get_child("shared").get_child("corpus")
    for part in ["public", "bench"]:
        source = corpus.get_child(part)
        if source.exists:
            ctx.symlink(source, part)
    ctx.file("BUILD", """\
package(default_visibility = ["//visibility:public"])

filegroup(name = "public", srcs = glob(["public/*.txt", "public/*.ids"]))

filegroup(name = "bench", srcs = glob(["bench/*.txt", "bench/*.ids"]))
""")

corpus_repository = repository_rule(
    implementation = _corpus_repository_impl,
    environ = ["RWKVTOK_CORPUS_DIR"],
    local = True,
)
