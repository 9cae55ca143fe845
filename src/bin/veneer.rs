//! The `veneer` command: the edge's engine for marketers and CI (validate and render rules).

fn main() {
    std::process::exit(veneer_cli::run(std::env::args().skip(1).collect()));
}

mod veneer_cli {
    pub fn run(_args: Vec<String>) -> i32 {
        0
    }
}
