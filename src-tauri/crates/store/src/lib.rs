//! braid-store (being written)
