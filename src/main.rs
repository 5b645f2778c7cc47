//! `cargo run`: the one-command demo of the whole chain.

fn main() {
    println!(
        "irsforge demo: will start irsforge-auth, the ledger sandbox (JWKS mode) and irsforge-oracle \
         in the builtin profile, with generated secrets and keys under .demo/. Not wired up yet."
    );
}
