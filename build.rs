//! Link-time settings for the `mediadesk` binary.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os == "linux" && target_env == "gnu" {
        // Packed relative relocations (glibc ≥ 2.36, binutils ≥ 2.38): the loader applies a few
        // KB of relocations instead of reading 1.5 MB of them at every start, which makes the
        // one-file commands (`probe`, `thumbnail`) start faster and smaller.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
