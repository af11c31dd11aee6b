"""Raw ingestion from Bitrix24: one asset per entity (raw/<entity>), their checks, the deletions sweep."""
