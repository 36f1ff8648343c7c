//! Maintainer tasks (codegen, fixture checks, benchmarks); see `cargo xtask --help`.

fn main() {}
