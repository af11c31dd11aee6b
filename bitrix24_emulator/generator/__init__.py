"""Deterministic generator of a Bitrix24 sales portal and its ground truth.

``generate(GeneratorConfig(seed=42))`` returns a :class:`~bitrix24_emulator.model.PortalData` whose tables
hold rows in Bitrix24 wire format; see ``bitrix24_emulator/README.md`` ("Data generator and ground truth").
"""

from bitrix24_emulator.generator.config import GeneratorConfig
from bitrix24_emulator.generator.export import portal_fingerprint, write_truth
from bitrix24_emulator.generator.portal import generate

__all__ = ["GeneratorConfig", "generate", "portal_fingerprint", "write_truth"]
