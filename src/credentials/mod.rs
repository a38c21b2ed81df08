//! The credentials lifecycle, owned by the app: aws-config has no GetSessionToken or
//! GetFederationToken provider, does no MFA, and refreshes only seconds before expiry.

pub mod base;
pub mod checks;
mod hidden_input;
pub mod manager;
pub mod mfa;
pub mod provider;
pub mod session;
pub mod sts;

pub use manager::SessionManager;
pub use session::{Session, SessionInfo};
