//! (filled in by the area's author)
