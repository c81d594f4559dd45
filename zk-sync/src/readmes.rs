//! The READMEs' Rust examples, compiled as doc tests of this crate so that they keep
//! compiling. Only when testing in the repository: the packaged crate leaves the ones outside
//! it out.

#[doc = include_str!("../../README.md")]
mod repository {}

#[doc = include_str!("../README.md")]
mod facade {}
