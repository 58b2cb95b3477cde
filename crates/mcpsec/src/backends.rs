//! Builds the configured backends. The only place that names concrete
//! backend types: add a backend here and in `config.rs`.

use std::sync::Arc;

use anyhow::Context;
use mcpsec_core::bus::EventBus;
use mcpsec_core::objstore::ArtifactStore;
use mcpsec_core::store::Store;
use mcpsec_server::Backends;

use crate::config::{BusConfig, Config, StoreConfig};

pub async fn build_store(cfg: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &cfg.store {
        StoreConfig::Sqlite(c) => {
            if let Some(parent) = c.path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            Arc::new(
                c.build()
                    .await
                    .with_context(|| format!("opening SQLite store {}", c.path.display()))?,
            )
        }
        StoreConfig::Postgres(c) => {
            Arc::new(c.build().await.context("connecting to PostgreSQL store")?)
        }
    })
}

pub async fn build_bus(cfg: &Config) -> anyhow::Result<Arc<dyn EventBus>> {
    Ok(match &cfg.bus {
        BusConfig::Embedded(c) => Arc::new(
            c.build()
                .await
                .with_context(|| format!("opening embedded bus {}", c.dir.display()))?,
        ),
        BusConfig::Kafka(c) => Arc::new(c.build().await.context("connecting to Kafka")?),
    })
}

pub async fn build_objects(cfg: &Config) -> anyhow::Result<Arc<dyn ArtifactStore>> {
    let store = cfg.objects.build().await.context("opening object store")?;
    Ok(Arc::new(store))
}

pub async fn build(cfg: &Config) -> anyhow::Result<Backends> {
    let (store, bus, objects) =
        tokio::try_join!(build_store(cfg), build_bus(cfg), build_objects(cfg))?;
    Ok(Backends {
        store,
        bus,
        objects,
    })
}
