//! The Sigma rule language: parsing ([`rule`]), conditions ([`condition`]),
//! value modifiers ([`modifier`]), wildcard strings ([`wildcard`]) and
//! compilation into matchers ([`compile`]).

pub mod compile;
pub mod condition;
pub mod modifier;
pub mod prefilter;
pub mod rule;
pub mod wildcard;
