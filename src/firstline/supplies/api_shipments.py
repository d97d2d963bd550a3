"""Placeholder until its helper writes it."""

from ninja import Router

router = Router()
