//! GrowthBook-compatible targeting conditions.
