//! Generates the program's IDL with Anchor's `idl-build` (anchor-lang-idl's builder, which runs
//! the program's `__anchor_private_print_idl` tests) into `app/idl/options_amm.json`, or with
//! `--check` fails if the committed file differs from what the program now generates.
//!
//! usage: cargo run --locked -p options-amm-app --bin options-amm-idl [-- --check]
//! (its own target directory, `target/idl`: the IDL build uses other features and RUSTFLAGS)

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
    let out = root.join("app/idl/options_amm.json");
    let check = std::env::args().any(|a| a == "--check");
    // The builder would pass `+$RUSTUP_TOOLCHAIN` wrongly; rust-toolchain.toml pins it anyway.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root.join("programs/options-amm"))
        .cargo_args(vec![
            "--locked".into(),
            "--target-dir".into(),
            root.join("target/idl").display().to_string(),
        ])
        .build();
    let idl = match idl {
        Ok(idl) => idl,
        Err(e) => {
            eprintln!("IDL build failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = serde_json::to_string_pretty(&idl).expect("the IDL serialises") + "\n";
    if check {
        let committed = std::fs::read_to_string(&out).unwrap_or_default();
        if committed != json {
            eprintln!(
                "{} is out of date: regenerate it with \
                 `cargo run --locked -p options-amm-app --bin options-amm-idl` and commit it",
                out.display()
            );
            return ExitCode::FAILURE;
        }
        println!("{}: up to date", out.display());
    } else {
        std::fs::write(&out, json).expect("write the IDL");
        println!("wrote {}", out.display());
    }
    ExitCode::SUCCESS
}
