//! Peers of clickchain measured on the same stream (issue #6, point 3).

pub mod external;
