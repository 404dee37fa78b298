//! Project automation (placeholder in this branch; the full xtask lives on main).

fn main() -> anyhow::Result<()> {
    Ok(())
}
