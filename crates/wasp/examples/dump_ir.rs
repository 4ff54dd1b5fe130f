//! Prints the register IR wasp translates a function to:
//! `cargo run -p wasp --example dump_ir -- FILE.wat FUNC_INDEX`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(func)) = (args.get(1), args.get(2)) else {
        return Err("usage: dump_ir FILE FUNC_INDEX".into());
    };
    let engine = wasp::Engine::default();
    let module = wasp::Module::from_file(&engine, path)?;
    print!("{}", module.debug_ir(func.parse()?)?);
    Ok(())
}
