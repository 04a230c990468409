//! The `netns-compile` command: a thin shell over [`netns_compile::cli`].

fn main() {
    let code = netns_compile::cli::run(std::env::args().collect());
    std::process::exit(code);
}
