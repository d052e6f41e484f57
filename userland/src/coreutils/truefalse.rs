//! `true` and `false`: exit 0 and 1, ignoring their arguments.

pub fn true_main(_args: &[String]) -> i32 {
    0
}

pub fn false_main(_args: &[String]) -> i32 {
    1
}
