//! Accounts. Each state type checks its own invariants (`invariant()`); handlers call it after
//! every change.

pub mod board;
pub mod config;
pub mod margin_account;
pub mod market;
pub mod params;
pub mod pod;
pub mod position;
pub mod seeds;

pub use board::*;
pub use config::*;
pub use margin_account::*;
pub use market::*;
pub use params::*;
pub use pod::*;
pub use position::*;

/// Each state type refuses each broken rule with the rule's own error.
#[cfg(test)]
mod invariant_tests {
    use super::*;
    use crate::error::OptionsAmmError as E;
    use anchor_lang::prelude::*;
    use options_amm_pricing::Fx;

    /// A way to break a state value, and the error that names the broken rule.
    type Breaks<T> = (fn(&mut T), E);

    fn board() -> Board {
        let mut b: Board = bytemuck::Zeroable::zeroed();
        b.market = Pubkey::new_from_array([1; 32]);
        b.num_strikes = 2;
        b.strikes[0].strike = PodFx::of(Fx::from_num(100));
        b.strikes[1].strike = PodFx::of(Fx::from_num(120));
        b
    }

    #[test]
    fn a_board_names_the_rule_it_breaks() {
        assert!(board().invariant().is_ok());
        let broken: [Breaks<Board>; 5] = [
            (|b| b.num_strikes = 0, E::StrikeCountOutOfRange),
            (|b| b.status = 9, E::UnknownBoardStatus),
            (|b| b.payout_ratio = PodFx::of(Fx::from_num(1.5)), E::PayoutRatioOutOfRange),
            (|b| b.strikes[1].strike = PodFx::of(Fx::from_num(90)), E::StrikesNotAscending),
            (|b| b.strikes[2].open_interest = [1, 0], E::UnusedSlotNotEmpty),
        ];
        for (breaks, e) in broken {
            let mut b = board();
            breaks(&mut b);
            assert_eq!(b.invariant().unwrap_err(), error!(e));
        }
    }

    #[test]
    fn a_margin_account_names_the_rule_it_breaks() {
        let ok: MarginAccount = bytemuck::Zeroable::zeroed();
        assert!(ok.invariant().is_ok());
        let broken: [Breaks<MarginAccount>; 4] = [
            (|a| a.short_series = 1, E::MarginCountsOutOfRange),
            (|a| a.open_series = MAX_OPEN_SERIES + 1, E::MarginCountsOutOfRange),
            (|a| (a.debt, a.collateral) = (1, 1), E::DebtBesideCollateral),
            (|a| a.positions[0] = Pubkey::new_from_array([2; 32]), E::UnusedSlotNotEmpty),
        ];
        for (breaks, e) in broken {
            let mut a = ok;
            breaks(&mut a);
            assert_eq!(a.invariant().unwrap_err(), error!(e));
        }
        let mut a = ok;
        assert_eq!(a.close_series(1, 0).unwrap_err(), error!(E::SeriesCountUnderflow));
    }

    #[test]
    fn a_position_stays_inside_its_board() {
        let b = board();
        let board_key = Pubkey::new_from_array([3; 32]);
        let mut p: Position = bytemuck::Zeroable::zeroed();
        (p.market, p.board) = (b.market, board_key);
        p.sizes[1] = [5, -5];
        assert!(p.invariant(&b.market, &board_key, &b).is_ok());
        let outside = error!(E::PositionOutsideItsBoard);
        assert_eq!(p.invariant(&b.market, &b.market, &b).unwrap_err(), outside);
        assert_eq!(p.invariant(&board_key, &board_key, &b).unwrap_err(), outside);
        p.sizes[2] = [1, 0];
        assert_eq!(p.invariant(&b.market, &board_key, &b).unwrap_err(), outside);
    }

    #[test]
    fn a_config_needs_an_authority() {
        let mut c = Config {
            creator: Pubkey::new_from_array([1; 32]),
            authority: Pubkey::new_from_array([2; 32]),
            guardian: Pubkey::new_from_array([3; 32]),
            bump: 255,
            pending_authority: Pubkey::default(),
            pending_guardian: Pubkey::default(),
            guardian_eta: 0,
            reserved: [0; 56],
        };
        assert!(c.invariant().is_ok());
        c.authority = Pubkey::default();
        assert_eq!(c.invariant().unwrap_err(), error!(E::ConfigWithoutAuthority));
    }

    #[test]
    fn a_market_names_the_rule_it_breaks() {
        let mut ok: Market = bytemuck::Zeroable::zeroed();
        ok.params = RiskParams::reference();
        ok.tranches[0].share_mint = Pubkey::new_from_array([4; 32]);
        ok.tranches[1].share_mint = Pubkey::new_from_array([5; 32]);
        ok.underlying_mint = Pubkey::new_from_array([6; 32]);
        ok.quote_mint = Pubkey::new_from_array([7; 32]);
        assert!(ok.invariant().is_ok());
        let broken: [Breaks<Market>; 6] = [
            (|m| m.active_boards = MAX_ACTIVE_BOARDS + 1, E::TooManyActiveBoards),
            (|m| m.paused = 0x80, E::UnknownPauseFlag),
            (|m| m.oracle_kind = 9, E::InvalidOracleKind),
            (|m| m.tranches[JUNIOR as usize].claim = 1, E::JuniorClaim),
            (|m| m.quote_mint = m.underlying_mint, E::MintsNotDistinct),
            (|m| m.params.max_utilisation_bps = 0, E::ParamsOutOfBounds),
        ];
        for (breaks, e) in broken {
            let mut m = ok;
            breaks(&mut m);
            assert_eq!(m.invariant().unwrap_err(), error!(e));
        }
    }
}
