//! `Fx` stored in zero-copy accounts as 16 little-endian bytes: alignment 1, so account layouts
//! never depend on how a target aligns i128 (SBF and x86-64 differ).

use crate::math::safe::SafeMath;
use anchor_lang::prelude::*;
use options_amm_pricing::Fx;

#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
#[borsh(crate = "anchor_lang::prelude::borsh")]
pub struct PodFx {
    pub bits: [u8; 16],
}

impl PodFx {
    pub fn of(v: Fx) -> Self {
        PodFx { bits: v.to_bits().to_le_bytes() }
    }
    pub fn get(&self) -> Fx {
        Fx::from_bits(i128::from_le_bytes(self.bits))
    }
    pub fn set(&mut self, v: Fx) {
        self.bits = v.to_bits().to_le_bytes();
    }
    /// Adds `d` (checked).
    pub fn add(&mut self, d: Fx) -> Result<()> {
        let v = self.get().safe_add(d)?;
        self.set(v);
        Ok(())
    }
    /// Replaces the part `old` of this sum by `new` (checked).
    pub fn replace_part(&mut self, old: Fx, new: Fx) -> Result<()> {
        self.set(self.get().safe_sub(old)?.safe_add(new)?);
        Ok(())
    }
}
