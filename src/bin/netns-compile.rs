//! The `netns-compile` command: a thin shell over [`netns_compile::cli`].

// The compiler allocates many small, short-lived values (definition trees, strings):
// mimalloc serves them several times faster than glibc's allocator. Its v2 without
// transparent huge pages (Cargo.toml) keeps the peak memory at glibc's.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = netns_compile::cli::run(std::env::args().collect());
    std::process::exit(code);
}
