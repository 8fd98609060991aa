//! Pure math of the program: no AccountInfo, unit-tested without a runtime.

pub mod drift;
pub mod fill;
pub mod hedge;
pub mod margin;
pub mod realised_vol;
pub mod safe;
pub mod settle;
pub mod surface;
pub mod tranche;
pub mod value;
