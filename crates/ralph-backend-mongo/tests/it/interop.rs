//! Interop with the Python ralph (written next).
