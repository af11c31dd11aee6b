"""Software-defined assets: raw ingestion from Bitrix24, dbt models."""
