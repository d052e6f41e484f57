//! Tests of user address spaces on a booted kernel.
