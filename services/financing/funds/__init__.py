"""Policy funds (保交楼专项借款, 省级纾困资金), from grant to allocation to every payment.

A program is money granted to the city for a year, with a cutover date (新老划断) and the uses it may pay for
(专款专用); the city allocates parts of it to registry projects, never more than the grant; each project pays out
of its allocation, never more than the allocation, only for an eligible use and only for liabilities that arose
on or after the cutover. What is allocated and not yet paid counts as the project's available funding.
"""
