//! The `terrace` command: a thin shell over [`terrace::edge::cli`].

fn main() {
    std::process::exit(terrace::edge::cli::main());
}
