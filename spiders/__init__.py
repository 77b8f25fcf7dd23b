"""Spiders: the outlet registry (outlets.toml) and one navigator per CMS family.

`scrapy list` shows every registry outlet and `scrapy crawl <outlet>` crawls one; the spider
classes are made from the registry by `spiders.loader.RegistrySpiderLoader` when Scrapy asks.
"""
