pub fn main(_a: &[String]) -> Result<(), String> { Ok(()) }
