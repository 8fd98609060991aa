//! Named errors of the program. Every refusal has its own variant.

use anchor_lang::prelude::*;
use options_amm_pricing::PricingError;

#[error_code]
pub enum OptionsAmmError {
    // -- arithmetic and pricing
    #[msg("Arithmetic overflow or division by zero")]
    MathOverflow,
    #[msg("Pricing input outside the engine's domain")]
    PricingDomain,
    #[msg("Pricing result does not fit the fixed-point type")]
    PricingOverflow,

    // -- identity
    #[msg("Signer is not the configured authority")]
    NotAuthority,
    #[msg("Signer is neither the guardian nor the authority")]
    NotGuardian,
    #[msg("Account belongs to another config")]
    WrongConfig,
    #[msg("Mint does not match the market's mint")]
    WrongMint,
    #[msg("Underlying and quote mints must differ")]
    SameMint,
    #[msg("Mint has more decimals than the market supports")]
    MintDecimalsTooLarge,
    #[msg("Vault token account does not match the market's vault")]
    WrongVault,
    #[msg("Token program does not match the market's token program")]
    WrongTokenProgram,
    #[msg("Token account is not owned by the signer")]
    WrongTokenOwner,
    #[msg("Share mint belongs to another tranche or market")]
    ForeignTranche,
    #[msg("Tranche index must be 0 (senior) or 1 (junior)")]
    InvalidTranche,

    // -- oracle
    #[msg("Oracle account is not the market's oracle")]
    WrongOracleAccount,
    #[msg("Oracle account is not owned by the configured Pyth program")]
    OracleWrongOwner,
    #[msg("Oracle account data is not a valid price account of the configured kind")]
    OracleInvalidData,
    #[msg("Oracle price update is for another feed")]
    OracleWrongFeed,
    #[msg("Oracle price update is not fully verified")]
    OracleNotFullyVerified,
    #[msg("Oracle price is not trading")]
    OracleNotTrading,
    #[msg("Oracle price is too old for this use")]
    OracleStale,
    #[msg("Oracle confidence interval is too wide for this use")]
    OracleConfidenceTooWide,
    #[msg("Oracle price is zero or negative")]
    OracleNonPositivePrice,
    #[msg("Oracle exponent outside [-18, 18]")]
    OracleBadExponent,
    #[msg("Unknown oracle kind")]
    InvalidOracleKind,

    // -- parameters and state
    #[msg("Risk parameter outside its hard bounds")]
    ParamOutOfBounds,
    #[msg("Unknown pause flag")]
    InvalidPauseFlags,
    #[msg("The guardian may pause but not unpause")]
    GuardianCannotUnpause,
    #[msg("Deposits are paused")]
    DepositsPaused,
    #[msg("Withdrawals are paused")]
    WithdrawalsPaused,
    #[msg("Vault token balance does not match the books after a transfer")]
    VaultBalanceMismatch,

    // -- amounts
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Slippage bound missed")]
    SlippageExceeded,
    #[msg("Deposit too small to mint a share")]
    DepositTooSmall,
    #[msg("Withdrawal too small to pay out a token unit")]
    WithdrawTooSmall,
    #[msg("Not enough free (unlocked) liquidity for this withdrawal")]
    InsufficientFreeLiquidity,
    #[msg("Tranche has shares but no value left; deposits into it are refused")]
    TrancheWipedOut,

    // -- boards and trading
    #[msg("Board must hold between 1 and the maximum number of strikes")]
    InvalidStrikeCount,
    #[msg("Strikes must be strictly increasing")]
    StrikesNotIncreasing,
    #[msg("Board expiry is before the trading cutoff")]
    BoardExpiryTooSoon,
    #[msg("Board has expired")]
    BoardExpired,
    #[msg("Board is already settled")]
    BoardSettled,
    #[msg("Strike index is not on this board")]
    InvalidStrike,
    #[msg("Option kind must be 0 (call) or 1 (put)")]
    InvalidOptionKind,
    #[msg("Board belongs to another market")]
    WrongMarket,
    #[msg("Position belongs to another board or owner")]
    WrongPosition,
    #[msg("Trading is paused")]
    TradingPaused,
    #[msg("Inside the trading cutoff before expiry")]
    TradingCutoff,
    #[msg("Greek cache is stale: refresh the board")]
    StaleGreekCache,
    #[msg("Option delta outside the tradable band")]
    DeltaOutOfBand,
    #[msg("Trade size above the cap")]
    TradeTooLarge,
    #[msg("Trade would take utilisation above its cap")]
    UtilisationCap,
    #[msg("Premium does not cover the fees")]
    PremiumBelowFees,

    // -- settlement
    #[msg("Board has not expired yet")]
    BoardNotExpired,
    #[msg("Board is not settled yet")]
    BoardNotSettled,
    #[msg("No oracle price published at or after expiry within the settlement window")]
    SettlementPriceOutsideWindow,
    #[msg("Oracle price is not the first one published at or after expiry")]
    SettlementPriceNotFirst,

    // -- governance
    #[msg("A parameter moves by more than its maximum step")]
    ParamStepTooLarge,
    #[msg("No parameter change is pending")]
    NoPendingProposal,
    #[msg("The timelock has not elapsed")]
    TimelockNotElapsed,
    #[msg("The proposal has expired")]
    ProposalExpired,
    #[msg("Signer is not the proposed authority")]
    NotPendingAuthority,

    // -- hedging
    #[msg("Net delta is inside its band: nothing to rebalance")]
    DeltaInsideBand,
    #[msg("Rebalance would take net delta past zero")]
    RebalancePastZero,
    #[msg("Rebalance size above the cap")]
    RebalanceTooLarge,
    #[msg("The vault holds less underlying than the rebalance sells")]
    InsufficientHedgeInventory,
    #[msg("The market lists its maximum number of boards")]
    TooManyBoards,
    #[msg("Every active board of the market must be passed, once each, in ascending key order")]
    BoardsMissing,

    // -- margin and liquidation
    #[msg("The margin account holds its maximum number of positions")]
    TooManyPositions,
    #[msg("The margin account holds its maximum number of open series (bounds the margin check's compute)")]
    TooManyOpenSeries,
    #[msg("Every registered position and its board must be passed, in registration order")]
    MarginAccountsMissing,
    #[msg("The account would be below initial margin")]
    BelowInitialMargin,
    #[msg("The account is above maintenance margin: not liquidatable")]
    AccountHealthy,
    #[msg("The liquidator cannot be the account owner")]
    LiquidatorIsOwner,
    #[msg("Liquidation must close part of a short position")]
    InvalidLiquidation,
    #[msg("Liquidation closes more than needed to restore initial margin")]
    LiquidationTooLarge,
    #[msg("The margin account belongs to another owner or market")]
    WrongMarginAccount,

    // -- added with the economic-soundness work (appended: earlier codes keep their numbers)
    #[msg("Risk parameters break a joint rule (see the log for which)")]
    ParamsInconsistent,
    #[msg("The sale's spread and inventory charge exceed the option's value: no bid")]
    NoBid,
    #[msg("Pool NAV is below the senior claim: junior deposits would pay the seniors' shortfall")]
    SeniorShortfall,
    #[msg("A board has expired and awaits settlement: settle it first (anyone may)")]
    BoardAwaitingSettlement,
    #[msg("The oracle print differs from the one already used in this slot")]
    OraclePriceChangedInSlot,
    #[msg("The board still has positions: only an empty board can be delisted")]
    BoardNotEmpty,
    #[msg("The position still holds contracts: only an empty position can be closed")]
    PositionNotEmpty,
    #[msg("The board is not active (settled or delisted)")]
    BoardNotActive,
    #[msg(
        "The listing is outside the pricing engine's domain (expiry, strike, cap strike or vol)"
    )]
    ListingOutsideEngineDomain,
    #[msg("The mint carries a Token-2022 extension the market does not accept")]
    UnsupportedMintExtension,
    #[msg("No guardian change is pending")]
    NoPendingGuardian,
    #[msg("More than the protocol fees accrued")]
    InsufficientProtocolFees,
    #[msg("The position's series is not held: nothing to liquidate")]
    NothingToLiquidate,
    // -- invariants: one named error per rule a state type or a book total keeps
    #[msg("Open interest would go below zero")]
    OpenInterestUnderflow,
    #[msg("The pool's settlement receivable would go below zero")]
    ReceivableUnderflow,
    #[msg("The pool's locked quote would go below zero")]
    LockedQuoteUnderflow,
    #[msg("The market's trader collateral total would go below zero")]
    TraderCollateralUnderflow,
    #[msg("The market's active board count would go below zero")]
    ActiveBoardsUnderflow,
    #[msg("The margin account's series counts would go below zero")]
    SeriesCountUnderflow,
    #[msg("A series has more long open interest than the vault and the traders are short")]
    ShortsBelowLongs,
    #[msg("A series with a position has no positive base vol")]
    UnpricedSeries,
    #[msg("Unknown board status")]
    UnknownBoardStatus,
    #[msg("A board's strike count is outside 1..=MAX_STRIKES")]
    StrikeCountOutOfRange,
    #[msg("A board's payout ratio is outside [0, 1]")]
    PayoutRatioOutOfRange,
    #[msg("A board's strikes are not strictly ascending")]
    StrikesNotAscending,
    #[msg("An unused slot (a strike past the board's count, a position past the account's) is not empty")]
    UnusedSlotNotEmpty,
    #[msg("A margin account's position or series counts are out of range")]
    MarginCountsOutOfRange,
    #[msg("A margin account holds debt beside collateral (debt is repaid first)")]
    DebtBesideCollateral,
    #[msg("A position belongs to another market or board, or holds contracts past its board's strikes")]
    PositionOutsideItsBoard,
    #[msg("The config has no authority")]
    ConfigWithoutAuthority,
    #[msg("The market's active boards exceed the maximum")]
    TooManyActiveBoards,
    #[msg("Unknown pause flag set")]
    UnknownPauseFlag,
    #[msg("The junior tranche carries a claim (only the senior tranche has one)")]
    JuniorClaim,
    #[msg("The market's mints are not distinct (share mints, underlying and quote)")]
    MintsNotDistinct,
    #[msg("The market's current or pending parameters are outside their bounds")]
    ParamsOutOfBounds,
    #[msg("The realised-vol estimate does not take this print (not a minute newer than the last one taken)")]
    VolAlreadyCurrent,
    #[msg("Realised vol has jumped past the breaker multiple of the series' implied vol: only trades that reduce a position go through")]
    RealisedVolBreaker,
    #[msg("The board's vol surface is older than the feed's freshness limit: only trades that reduce a position go through")]
    VolSurfaceStale,
    #[msg("Signer is not the market's vol feed")]
    NotVolFeed,
    #[msg("A posted vol moves more than the feed's step allows since the board's last post")]
    VolStepTooLarge,
    #[msg("A posted vol is outside [MIN_SURFACE_VOL, MAX_SURFACE_VOL]")]
    VolOutOfRange,
    #[msg("A posted surface has not one vol per strike of the board")]
    SurfaceStrikeCount,
    #[msg("A posted surface makes call prices rise with strike (static arbitrage)")]
    SurfaceCallsNotDecreasing,
    #[msg("A posted surface makes call prices fall faster than the discounted strike rises (static arbitrage)")]
    SurfaceCallSlopeTooSteep,
    #[msg("A posted surface makes call prices concave in strike (butterfly arbitrage)")]
    SurfaceCallsNotConvex,
    #[msg("No vol-feed change is pending")]
    NoPendingVolFeed,
    #[msg("The trade would leave the vault more delta than its hedge can offset: only trades that reduce a position go through")]
    CannotHedge,
    #[msg("A posted vol is further from mature realised vol than the feed's band allows")]
    VolFarFromRealised,
}

impl From<PricingError> for OptionsAmmError {
    fn from(e: PricingError) -> Self {
        match e {
            PricingError::Overflow => OptionsAmmError::PricingOverflow,
            PricingError::InvalidQuoteInput => OptionsAmmError::ZeroAmount,
            PricingError::NoBid => OptionsAmmError::NoBid,
            _ => OptionsAmmError::PricingDomain,
        }
    }
}
