#!/usr/bin/env python3
"""Copy the pinned nightly's `library/` and teach std about target_os = "solana".

Upstream Rust has no std port for Solana; anchor-lang needs std. The patch adds "solana" to
std's existing "unsupported / no threads" branches and gives it a null System allocator (the
program's own entrypoint installs Solana's bump allocator as the global allocator, so
`std::alloc::System` is never the allocator in use). Every edit asserts that its anchor text
is found exactly once, so a changed rust-src fails loudly instead of building a wrong std.

usage: patch-std.py <rust-src library dir> <output dir>
"""
import pathlib
import shutil
import sys

src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
if out.exists():
    shutil.rmtree(out)
shutil.copytree(src, out / "library", symlinks=True)
std = out / "library" / "std"


def edit(rel, old, new, count=1):
    path = std / rel
    text = path.read_text()
    found = text.count(old)
    if found != count:
        sys.exit(f"patch-std: {rel}: expected {count} of {old!r}, found {found}")
    path.write_text(text.replace(old, new))


# The list of OSes with a std (otherwise std is `restricted_std` and every crate needs a feature).
edit("build.rs", '|| target_os == "vexos"', '|| target_os == "vexos"\n        || target_os == "solana"')

# Allocator: 16-byte minimum alignment (the upstream BPF data layout aligns i128 to 16) and a
# module that never hands out memory.
edit("src/sys/alloc/mod.rs", '    target_arch = "wasm64",\n)) {\n    16',
     '    target_arch = "wasm64",\n    target_arch = "bpf",\n)) {\n    16')
edit("src/sys/alloc/mod.rs", '    target_os = "zkvm" => {\n        mod zkvm;\n        use zkvm as imp;\n    }\n',
     '    target_os = "zkvm" => {\n        mod zkvm;\n        use zkvm as imp;\n    }\n'
     '    target_os = "solana" => {\n        mod solana;\n        use solana as imp;\n    }\n')
edit("src/sys/alloc/mod.rs",
     'any(target_os = "hermit", target_os = "solid_asp3", target_os = "uefi", target_os = "zkvm") => {',
     'any(target_os = "hermit", target_os = "solid_asp3", target_os = "uefi", target_os = "zkvm", target_os = "solana") => {')
(std / "src/sys/alloc/solana.rs").write_text('''use crate::alloc::Layout;

// The program's entrypoint installs Solana's bump allocator as #[global_allocator];
// std's System allocator is never the one in use on this target.
#[inline]
pub unsafe fn alloc(_layout: Layout) -> *mut u8 {
    crate::ptr::null_mut()
}

#[inline]
pub unsafe fn dealloc(_ptr: *mut u8, _layout: Layout) {}

#[inline]
pub unsafe fn realloc(_ptr: *mut u8, _layout: Layout, _new_size: usize) -> *mut u8 {
    crate::ptr::null_mut()
}
''')

# io errors, random data, thread locals: the generic / unsupported / no-threads branches.
edit("src/sys/io/error/mod.rs",
     'any(target_os = "vexos", target_family = "wasm", target_os = "zkvm", target_os = "trusty") => {',
     'any(target_os = "vexos", target_family = "wasm", target_os = "zkvm", target_os = "trusty", target_os = "solana") => {')
edit("src/sys/random/mod.rs", '        target_os = "vexos",\n        target_os = "l4re",\n    ) => {',
     '        target_os = "vexos",\n        target_os = "l4re",\n        target_os = "solana",\n    ) => {')
edit("src/sys/random/mod.rs", '    target_os = "vexos",\n    target_os = "l4re",\n)))]',
     '    target_os = "vexos",\n    target_os = "l4re",\n    target_os = "solana",\n)))]')
edit("src/sys/thread_local/mod.rs", '        target_os = "vexos",\n    ) => {',
     '        target_os = "vexos",\n        target_os = "solana",\n    ) => {')
edit("src/sys/thread_local/mod.rs", '            target_os = "vexos",\n        ) => {',
     '            target_os = "vexos",\n            target_os = "solana",\n        ) => {')

# RandomState: fixed keys (SBPF allows no writable statics, so no per-thread key cache).
edit("src/hash/random.rs", "    pub fn new() -> RandomState {\n",
     "    pub fn new() -> RandomState {\n"
     "        #[cfg(target_os = \"solana\")]\n"
     "        return RandomState { k0: 0x736f6d6570736575, k1: 0x646f72616e646f6d };\n"
     "        #[cfg(not(target_os = \"solana\"))]\n"
     "        {\n")
edit("src/hash/random.rs", "            RandomState { k0, k1 }\n        })\n    }\n",
     "            RandomState { k0, k1 }\n        })\n        }\n    }\n")
print(f"patch-std: patched std in {out}/library")
