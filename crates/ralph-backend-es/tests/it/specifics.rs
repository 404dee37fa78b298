//! Behaviour of the es backend beyond the shared suite.
