//! Integration tests: the real component, in the real host, against the mock endpoint.

mod answers;
mod breadth;
mod cli;
mod composition;
mod conformance;
mod contract;
mod errors;
mod faults;
mod gateway_agents;
mod gateway_service;
mod gateway_wire;
mod hostile;
mod lattice;
mod peers;
mod policy;
mod process;
mod sandbox;
mod streaming;
mod support;
mod telemetry;
mod tenants;
mod thinking;
mod tls;
mod tolerance;
mod warm;
mod wire;
