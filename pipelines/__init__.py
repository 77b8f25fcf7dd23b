"""Thin Scrapy item pipelines, one per step; each delegates to pure logic in crawler/."""
