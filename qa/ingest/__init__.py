"""From a folder of files to a published index: documents, news-page repair, bounded passages, the build."""
