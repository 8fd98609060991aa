//! Integration tests: one binary, one module per instruction group.
#![allow(deprecated)]

mod test_program;
