//! usk kernel (skeleton)
