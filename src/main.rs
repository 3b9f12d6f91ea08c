//! The `terrace` command: a thin shell over [`terrace::edge::cli`].

// A book evaluates each row on its own sized copy of a case template:
// thousands of small allocations per row on every core, where mimalloc's
// per-thread free lists beat the system allocator. Set here, in the
// program, so the library leaves the choice to its users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(terrace::edge::cli::main());
}
