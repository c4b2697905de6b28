//! Test support shared by every integration-test module.
#![allow(dead_code)]

pub mod app;
pub mod gate;
pub mod ports;
pub mod redis_server;
pub mod salt_api;
pub mod stack;
